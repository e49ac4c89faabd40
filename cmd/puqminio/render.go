package main

import "github.com/puqminios3/puqminio/internal/bridge"

// newRenderer returns the page renderer the render actions use.
func newRenderer(IO) bridge.Renderer { return bridge.ViewRenderer{} }
