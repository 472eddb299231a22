"""The contracts every stage imports and that import no stage: records, the store, configuration."""
