"""What every layer shares and no layer owns: the root error type."""
