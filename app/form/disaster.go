package form

import "strings"

// The two modes of the portal a site manager switches between.
const (
	ModeOn  = "on"  // disaster mode (緊急災害モード)
	ModeOff = "off" // normal operation
)

// DisasterSwitch is a site manager's choice of mode: the one the switch is
// to be set to, not a toggle, so a repeated or late submission cannot flip
// it back.
type DisasterSwitch struct {
	Mode string
}

// Normalize trims the mode.
func (x *DisasterSwitch) Normalize() { x.Mode = strings.TrimSpace(x.Mode) }

// Validate checks the mode is one of the two.
func (x *DisasterSwitch) Validate() Errors {
	e := Errors{}
	if x.Mode != ModeOn && x.Mode != ModeOff {
		e.Add("mode", "disaster.err.mode")
	}
	return e
}

// On reports whether the chosen mode is disaster mode.
func (x *DisasterSwitch) On() bool { return x.Mode == ModeOn }
