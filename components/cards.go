package components

import (
	"context"
	"strings"

	"github.com/wardportal/portal/app/useragent"
)

// browserLabel names the device and browser of a user agent the way a
// person recognises them (「iPhone・Safari」); the raw header stays in the
// record, not on the page.
func browserLabel(ctx context.Context, ua string) string {
	d, b := useragent.Describe(ua)
	if d == "Android tablet" {
		d = T(ctx, "ua.android_tablet")
	}
	switch {
	case d != "" && b != "":
		return d + "・" + b
	case d != "" || b != "":
		return d + b
	default:
		return T(ctx, "ua.unknown")
	}
}

// roleLabel is a staff role in words; an entry without a role (a member
// acting on their own data) says so.
func roleLabel(ctx context.Context, role string) string {
	if role == "" {
		return T(ctx, "audit.no_role")
	}
	return T(ctx, "role."+role)
}

// fieldList is the fields an audit entry names, as written in the record.
func fieldList(fields []string) string { return strings.Join(fields, ", ") }
