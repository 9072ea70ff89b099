package app

import (
	"github.com/wardportal/portal/app/check"
	"github.com/wardportal/portal/db"
)

// precheckKinds maps the checks the board's pre-check runs to the flag
// kinds the moderation queue shows ("moderation.flag."+kind).
var precheckKinds = map[string]string{
	"pii.phone":   db.FlagPhone,
	"pii.email":   db.FlagEmail,
	"pii.address": db.FlagAddress,
	"pii.name":    db.FlagName,
	"word.listed": db.FlagWord,
}

// precheck is the board's pre-check (db.DB.Precheck) run as checks of the
// checker framework: personal information (phone numbers, e-mail and street
// addresses, personal names) and the moderators' dictionary, plus every
// outbound link as db.CheckText finds them in plain text. Flags are
// warnings for moderators; they never block a submission. One flag per
// kind and match, at most db.MaxFlags, links first.
func precheck(text string, words []string) []db.Flag {
	src := []rune(text)
	var flags []db.Flag
	seen := map[db.Flag]bool{}
	add := func(f db.Flag) {
		if f.Match == "" || seen[f] || len(flags) >= db.MaxFlags {
			return
		}
		seen[f] = true
		flags = append(flags, f)
	}
	for _, f := range db.CheckText(text, nil) {
		if f.Kind == db.FlagLink {
			add(f)
		}
	}
	in := check.Input{Body: text, Kind: "board_post"}
	for _, p := range check.Run(in, check.Phones, check.Emails, check.Addresses, check.Names, check.Words(words...)) {
		kind, ok := precheckKinds[p.Check]
		if !ok || p.Field != check.FieldBody || p.Start < 0 || p.End > len(src) || p.Start >= p.End {
			continue
		}
		match := string(src[p.Start:p.End])
		if w, ok := p.Args["Word"].(string); ok && kind == db.FlagWord {
			match = w // the listed word, as CheckText records it
		}
		add(db.Flag{Kind: kind, Match: match})
	}
	return flags
}
