"""Generation engines: the interface every engine implements, the registry that picks one,
the batcher, and the preview and diffusers engines."""
