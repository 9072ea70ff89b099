// Package useragent names the device and browser of a User-Agent header
// the way a person would recognise them in their access history:
// 「iPhone・Safari」, not the raw header. It knows the browsers and systems
// people in Japan actually use; anything else is left unnamed ("").
//
// A small table of ordered checks rather than a parsing library: the
// history needs a name to recognise, not a version, and the order of the
// checks (Edge and Samsung Internet say Chrome too, Chrome says Safari too,
// iPadOS says Macintosh) is the whole of the knowledge.
package useragent

import "strings"

// Describe returns the device (or operating system) and the browser named
// in ua; either is "" when not recognised.
func Describe(ua string) (device, browser string) {
	return deviceOf(ua), browserOf(ua)
}

// Label is "device・browser", or whichever of the two is known, or "".
func Label(ua string) string {
	d, b := Describe(ua)
	switch {
	case d != "" && b != "":
		return d + "・" + b
	case d != "":
		return d
	default:
		return b
	}
}

type rule struct {
	needle string
	not    []string
	name   string
}

func match(ua string, rules []rule) string {
	for _, r := range rules {
		if !strings.Contains(ua, r.needle) {
			continue
		}
		excluded := false
		for _, n := range r.not {
			if strings.Contains(ua, n) {
				excluded = true
				break
			}
		}
		if !excluded {
			return r.name
		}
	}
	return ""
}

var devices = []rule{
	{"iPhone", nil, "iPhone"},
	{"iPad", nil, "iPad"},
	{"iPod", nil, "iPod touch"},
	{"Android", []string{"Mobile"}, "Android tablet"},
	{"Android", nil, "Android"},
	{"CrOS", nil, "Chromebook"},
	{"Windows", nil, "Windows"},
	{"Macintosh", nil, "Mac"},
	{"Linux", nil, "Linux"},
}

var browsers = []rule{
	{" Line/", nil, "LINE"},
	{"EdgiOS/", nil, "Edge"},
	{"EdgA/", nil, "Edge"},
	{"Edg/", nil, "Edge"},
	{"SamsungBrowser/", nil, "Samsung Internet"},
	{"OPR/", nil, "Opera"},
	{"YaBrowser/", nil, "Yandex"},
	{"FxiOS/", nil, "Firefox"},
	{"Firefox/", nil, "Firefox"},
	{"CriOS/", nil, "Chrome"},
	{"Chrome/", nil, "Chrome"},
	{"Safari/", nil, "Safari"},
	{"curl/", nil, "curl"},
}

func deviceOf(ua string) string { return match(ua, devices) }

func browserOf(ua string) string { return match(ua, browsers) }
