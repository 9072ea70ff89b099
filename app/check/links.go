package check

import (
	"net/url"
	"strings"
)

// Outbound reports links to a host without an approved link request
// (Nakano rules 第16条3項) as Errors; Args["Host"] names it. Paths of the
// portal itself, its own hosts, mailto: and tel: are not outbound. A
// reference-style link is judged once, at its definition.
func Outbound(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		for _, l := range t.structure().links {
			if l.ref {
				continue
			}
			host, ok := outboundHost(l.dest)
			if !ok || hostAllowed(host, d.Allowed.PortalHosts, false) || hostAllowed(host, d.Allowed.Domains, true) {
				continue
			}
			out = append(out, t.problemBytes(idOutbound, Error, l.start, l.end, map[string]any{"Host": host}))
		}
	}
	return out
}

// outboundHost is the host an http(s) address leads to; ok is false for a
// path on this site and for other schemes.
func outboundHost(dest string) (host string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(leaveTarget(dest)))
	if err != nil {
		return "", false
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", false
	}
	return normalHost(u.Hostname()), true
}

func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// hostAllowed reports whether host is one of list. With suffixes, an entry
// with a leading dot (".example.jp") also covers every host under it; an
// entry may be written as an address (https://www.example.jp/).
func hostAllowed(host string, list []string, suffixes bool) bool {
	for _, e := range list {
		e = strings.TrimSpace(e)
		if strings.Contains(e, "/") {
			if u, err := url.Parse(e); err == nil && u.Host != "" {
				e = u.Hostname()
			}
		}
		dot := strings.HasPrefix(e, ".")
		e = normalHost(strings.TrimPrefix(e, "."))
		if e == "" {
			continue
		}
		if host == e || suffixes && dot && strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}
