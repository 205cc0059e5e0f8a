"""Image code shared by engines and tools: colours, text layout, encoding."""
