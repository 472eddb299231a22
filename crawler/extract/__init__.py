"""Pure extraction over HTML: metadata blocks, list entries, pagination, dates, encodings."""
