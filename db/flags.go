package db

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Flag is something the pre-check found in a submission for the moderator
// to look at: personal data, a dictionary word, an outbound link. Flags
// inform; they never block a submission.
type Flag struct {
	Kind  string `json:"kind"`
	Match string `json:"match"`
}

// Flag kinds.
const (
	FlagPhone   = "phone"
	FlagEmail   = "email"
	FlagAddress = "address"
	FlagWord    = "word"
	FlagLink    = "link"
	FlagName    = "name" // a person's name; found by the app's checker (Precheck) only
)

// MaxFlags bounds what one submission can attach.
const MaxFlags = maxFlags

// maxFlags bounds what one submission can attach.
const maxFlags = 20

var (
	// Japanese phone numbers as people write them: 03-1234-5678,
	// 090(1234)5678, 0120 123 456, +81 3 1234 5678, with any dash.
	phonePattern = regexp.MustCompile(`(?:\+81[\s-]?|0)\d{1,4}[\s\-‐−ー―(（]{0,2}\d{1,4}[\s\-‐−ー―)）]{0,2}\d{3,4}`)
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	// Street addresses precise enough to find a house: 〇番地, 〇丁目〇番〇号,
	// 〇丁目〇-〇, or three numbers joined by dashes after a town name.
	addressPattern = regexp.MustCompile(`[0-9一二三四五六七八九十百]+番地(?:[0-9一二三四五六七八九十]+)?` +
		`|[0-9一二三四五六七八九十]+丁目\s*[0-9一二三四五六七八九十]+\s*(?:番(?:地)?\s*(?:[0-9一二三四五六七八九十]+\s*号?)?|[\-‐−ー―]\s*[0-9]+(?:[\-‐−ー―][0-9]+)?)` +
		`|[\p{Han}\p{Katakana}][1-9][0-9]{0,2}[\-‐−ー―][0-9]{1,4}[\-‐−ー―][0-9]{1,4}\b`)
	linkPattern = regexp.MustCompile(`(?i)(?:https?://|www\.)[^\s<>"'、。「」（）]+`)
)

// precheck is d.Precheck, or CheckText when none is set.
func (d *DB) precheck(text string, words []string) []Flag {
	if d.Precheck != nil {
		return d.Precheck(text, words)
	}
	return CheckText(text, words)
}

// CheckText pre-checks a submission's text. words is the staff-managed
// dictionary; it matches whatever the width, case or kana.
func CheckText(text string, words []string) []Flag {
	t := norm.NFKC.String(text)
	var flags []Flag
	seen := map[Flag]bool{}
	add := func(kind, match string) {
		f := Flag{Kind: kind, Match: strings.TrimSpace(match)}
		if f.Match == "" || seen[f] || len(flags) >= maxFlags {
			return
		}
		seen[f] = true
		flags = append(flags, f)
	}
	// Links first: the digits and at-signs inside a URL are not phone
	// numbers or addresses.
	rest := t
	for _, m := range linkPattern.FindAllString(t, -1) {
		add(FlagLink, m)
		rest = strings.Replace(rest, m, " ", 1)
	}
	for _, m := range emailPattern.FindAllString(rest, -1) {
		add(FlagEmail, m)
		rest = strings.Replace(rest, m, " ", 1)
	}
	for _, m := range addressPattern.FindAllString(rest, -1) {
		add(FlagAddress, m)
	}
	for _, m := range phonePattern.FindAllString(rest, -1) {
		if digits(m) >= 10 {
			add(FlagPhone, m)
		}
	}
	folded := foldText(text)
	for _, w := range words {
		fw := strings.TrimSpace(foldText(w))
		if fw != "" && strings.Contains(folded, fw) {
			add(FlagWord, w)
		}
	}
	return flags
}

// foldText is text as search sees it (width, case and kana folded, runs of
// punctuation and space as one space), so that a dictionary word matches
// however it was typed: ネズミ講 finds ねずみ講 and ﾈｽﾞﾐ講.
func foldText(s string) string {
	var b strings.Builder
	eachRun(s, nil, func(acc []int32, run []rune) []int32 {
		b.WriteString(string(run))
		b.WriteByte(' ')
		return acc
	})
	return " " + b.String()
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
