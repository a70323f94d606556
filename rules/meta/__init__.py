"""The meta family: findings about perflint itself (PFL0xx), such as unused suppressions."""
