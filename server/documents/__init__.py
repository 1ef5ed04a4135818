"""What every business document shares: gapless numbers, state machines, versions, approvals."""
