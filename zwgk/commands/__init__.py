"""The `zwgk` commands of each stage, kept above the stages they drive."""
