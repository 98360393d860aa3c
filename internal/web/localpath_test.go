package web

import "testing"

// TestLocalPath: redirect only sends a browser to a path of this site.
func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/clients/01J0ABCDEFGHJKMNPQRSTVWXYZ/messages#m-1", true},
		{"/people?done=deleted", true},
		{"", false},
		{"clients", false},
		{"//evil.example/", false},
		{"/\\evil.example/", false},
		{"/\t/evil.example/", false},
		{"/\n/evil.example/", false},
		{"https://evil.example/", false},
		{"javascript:alert(1)", false},
	} {
		if got := localPath(tc.path); got != tc.want {
			t.Errorf("localPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
