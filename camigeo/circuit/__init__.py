"""Circuit-theory connectivity compatible with Circuitscape (work in progress)."""
