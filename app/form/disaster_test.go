package form

import "testing"

func TestDisasterSwitch(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok, on bool
	}{
		{"on", true, true}, {" off ", true, false}, {"", false, false}, {"ON", false, false}, {"toggle", false, false},
	} {
		x := DisasterSwitch{Mode: tc.in}
		x.Normalize()
		if ok := !x.Validate().Any(); ok != tc.ok || (ok && x.On() != tc.on) {
			t.Errorf("mode %q: valid %v on %v, want %v %v", tc.in, ok, x.On(), tc.ok, tc.on)
		}
	}
}
