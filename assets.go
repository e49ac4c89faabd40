// Package puqminio is the root of the puqMinIOS3 module. It holds only the
// files that ship inside the binary; the code lives under internal/ and cmd/.
package puqminio

import "embed"

// Assets holds the HTML templates (templates/*.tmpl) and the language files
// (lang/<name>.json) compiled into the binary, so the module needs no files
// beside it at run time. internal/view reads them.
//
//go:embed templates lang
var Assets embed.FS
