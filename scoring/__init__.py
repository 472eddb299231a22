"""Indicator scoring: findings + indicator profile -> scores."""
