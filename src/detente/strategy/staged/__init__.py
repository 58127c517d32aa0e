"""The staged-disarmament game: a US president who commits to a rule, and North Korea's quantal best response."""
