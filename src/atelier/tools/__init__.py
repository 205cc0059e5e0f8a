"""The one-image tools: their models (matting, upscaling, erasing, vectorizing, NSFW
scoring) and the Toolbox that prices and delivers them."""
