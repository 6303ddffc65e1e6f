package actorfile

import "testing"

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "Normal": "Normal", "=1+1": "'=1+1", "+33 5": "'+33 5", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "-0.4588": "-0.4588", "+12": "+12", "46.32": "46.32", "-": "'-",
		"-1.2.3": "'-1.2.3", "-Inf": "'-Inf", "a=b": "a=b",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
