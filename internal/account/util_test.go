package account

import (
	"io"
	"strings"
)

func stringIndex(s, sub string) int { return strings.Index(s, sub) }

func strReader(s string) io.Reader { return strings.NewReader(s) }
