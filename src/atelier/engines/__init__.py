"""Image engines: the interface every engine implements, and the registry that picks one."""
