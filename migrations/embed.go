// Package migrations holds the SQL schema as numbered *.up.sql / *.down.sql
// files, embedded so the binary migrates from any directory.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS
