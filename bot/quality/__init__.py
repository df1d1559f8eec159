"""Draft quality: the fact guard, the transparent best-of-n score and the candidate picker."""
