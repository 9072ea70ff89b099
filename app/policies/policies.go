// Package policies holds the texts the footer links to — the privacy
// policy, the accessibility policy and the terms of use — as Markdown, one
// file per language, embedded in the binary. They are documents the ward
// approves as a whole, which is why they live here and not as lines of the
// message catalogue.
package policies

import (
	"embed"
	"fmt"
)

//go:embed ja/*.md en/*.md
var files embed.FS

// Names are the policies, in the order the footer and the site map list them.
var Names = []string{"privacy", "accessibility", "terms"}

// Source returns the Markdown of policy name in lang.
func Source(lang, name string) (string, error) {
	b, err := files.ReadFile(lang + "/" + name + ".md")
	if err != nil {
		return "", fmt.Errorf("policies: %s/%s: %w", lang, name, err)
	}
	return string(b), nil
}
