"""pandera schemas for the register's tabs, one module per tab."""
