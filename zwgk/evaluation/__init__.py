"""Evaluation tooling: the fixture sites, the rule fixtures and the real-page corpus scored against labels."""
