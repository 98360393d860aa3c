package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"interlude/internal/care"
)

// The clinic's own crisis resources (issue #16): admins edit the list on
// the People page or through the API; every client sees it after the
// national lines (clinicCrisisResources).

// resourceFields are the names of a resource form's inputs, as the
// validation names them (care.ClinicResource.Validate).
var resourceFields = []string{"name", "phone", "sms", "sms_keyword", "chat_url", "hours", "always_open", "language"}

// resourceForm is one form of the People page's resource section: a
// resource of the clinic's list to edit, or the one to add.
type resourceForm struct {
	Key    string // unique in the page, for element ids: "res-0", "res-new"
	Action string // where the form posts
	Delete string // where its delete button posts; "" for the add form
	R      care.ClinicResource
	Error  string // a refusal of this form's last post
	Field  string // the field refused: one of resourceFields, or another name for the form as a whole
}

// Invalid reports whether the form's refusal is about field.
func (f resourceForm) Invalid(field string) bool { return f.Error != "" && f.Field == field }

// FormError is the refusal that is about no single field, shown at the
// top of the form.
func (f resourceForm) FormError() string {
	for _, name := range resourceFields {
		if f.Field == name {
			return ""
		}
	}
	return f.Error
}

// resourceFromForm reads a resource from a posted form.
func resourceFromForm(f url.Values) care.ClinicResource {
	return care.ClinicResource{Name: f.Get("name"), Phone: f.Get("phone"), SMS: f.Get("sms"), SMSKeyword: f.Get("sms_keyword"),
		ChatURL: f.Get("chat_url"), Hours: f.Get("hours"), AlwaysOpen: f.Get("always_open") == "on", Language: f.Get("language")}.Normalize()
}

// resourceForms are the forms of the clinic's list and the add form; a
// refusal (field "resources.N.name", or "resources" for the list) goes
// to form N with the values posted, N == len(list) being the add form.
func resourceForms(list []care.ClinicResource, field, msg string, posted url.Values) ([]resourceForm, resourceForm) {
	forms := make([]resourceForm, len(list))
	for i, r := range list {
		key := strconv.Itoa(i)
		forms[i] = resourceForm{Key: "res-" + key, Action: "/settings/crisis-resources/" + key + "/edit", Delete: "/settings/crisis-resources/" + key + "/delete", R: r}
	}
	add := resourceForm{Key: "res-new", Action: "/settings/crisis-resources", R: care.ClinicResource{Language: "en"}}
	rest, ok := strings.CutPrefix(field, "resources")
	if !ok || posted == nil {
		return forms, add
	}
	target := &add
	if n, name, found := strings.Cut(strings.TrimPrefix(rest, "."), "."); found {
		if i, err := strconv.Atoi(n); err == nil && i < len(forms) {
			target = &forms[i]
		}
		target.Field = name
	} else {
		target.Field = "resources"
	}
	target.R, target.Error = resourceFromForm(posted), msg
	return forms, add
}

// editResources applies change to the clinic's list and saves it; a
// refused list re-renders the People page with the values posted and the
// error beside the field.
func (s *Server) editResources(w http.ResponseWriter, r *http.Request, change func([]care.ClinicResource) ([]care.ClinicResource, error)) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	// The store refuses, and audits as refused, a change by anyone but an
	// admin; it reads, changes and writes the list in one transaction.
	if err := s.store.UpdateClinicResources(r.Context(), actor, change); err != nil {
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid {
			return err
		}
		return s.renderSettings(w, r, http.StatusBadRequest, ce.Message, ce.Field, r.PostForm)
	}
	return redirect(w, r, "/settings?done=crisis-resources#resources-h")
}

// resourceIndex is the {n} of the path, a place in a list of length n.
func resourceIndex(r *http.Request, n int) (int, error) {
	i, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || i < 0 || i >= n || strconv.Itoa(i) != r.PathValue("n") {
		return 0, care.ErrNotFound
	}
	return i, nil
}

// POST /settings/crisis-resources {name, phone, sms, sms_keyword, chat_url,
// hours, always_open, language}: an admin adds a resource at the end.
func (s *Server) peopleAddResource(w http.ResponseWriter, r *http.Request) error {
	return s.editResources(w, r, func(list []care.ClinicResource) ([]care.ClinicResource, error) {
		return append(list, resourceFromForm(r.PostForm)), nil
	})
}

// POST /settings/crisis-resources/{n}/edit: an admin changes resource n.
func (s *Server) peopleEditResource(w http.ResponseWriter, r *http.Request) error {
	return s.editResources(w, r, func(list []care.ClinicResource) ([]care.ClinicResource, error) {
		i, err := resourceIndex(r, len(list))
		if err != nil {
			return nil, err
		}
		list[i] = resourceFromForm(r.PostForm)
		return list, nil
	})
}

// POST /settings/crisis-resources/{n}/delete: an admin removes resource n.
func (s *Server) peopleDeleteResource(w http.ResponseWriter, r *http.Request) error {
	return s.editResources(w, r, func(list []care.ClinicResource) ([]care.ClinicResource, error) {
		i, err := resourceIndex(r, len(list))
		if err != nil {
			return nil, err
		}
		return append(list[:i], list[i+1:]...), nil
	})
}

// clinicResourceJSON is the API's form of one of the clinic's resources.
type clinicResourceJSON struct {
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	SMS        string `json:"sms"`
	SMSKeyword string `json:"sms_keyword"`
	ChatURL    string `json:"chat_url"`
	Hours      string `json:"hours"`
	AlwaysOpen bool   `json:"always_open"`
	Language   string `json:"language"`
}

// clinicResourcesJSON is the body of GET and PUT
// /api/v1/clinic/crisis-resources.
type clinicResourcesJSON struct {
	Resources *[]clinicResourceJSON `json:"resources"`
}

func toClinicResourcesJSON(list []care.ClinicResource) clinicResourcesJSON {
	out := []clinicResourceJSON{}
	for _, r := range list {
		out = append(out, clinicResourceJSON(r))
	}
	return clinicResourcesJSON{Resources: &out}
}

// GET /api/v1/clinic/crisis-resources: the clinic's own crisis
// resources, in order; anyone of the clinic may read them.
func (s *Server) apiClinicResources(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.ClinicResources(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toClinicResourcesJSON(list))
}

// PUT /api/v1/clinic/crisis-resources {"resources": [...]}: admins
// replace the whole list ([] for none); a field's error is named
// "resources.N.field".
func (s *Server) apiSetClinicResources(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req clinicResourcesJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Resources == nil {
		return care.FieldError("resources", "is required ([] for none)")
	}
	list := make([]care.ClinicResource, 0, len(*req.Resources))
	for _, c := range *req.Resources {
		list = append(list, care.ClinicResource(c))
	}
	if err := s.store.SetClinicResources(r.Context(), actor, list); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toClinicResourcesJSON(list))
}
