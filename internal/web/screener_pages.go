package web

import (
	"net/http"
	"slices"
	"strconv"

	"interlude/internal/care"
)

// The follow-up screener (issue #16): after a safety flag, the page that
// shows the crisis resources offers the client NIMH's ASQ at
// /safety-check/{fid}. It is optional and never stands between the client
// and the resources: the form shows them beside the questions, and the
// page after it shows them again, first, with a plain "call 988 or 911
// now" for an acute positive. Without script, the acuity question is a
// second step, shown only after a yes, as the ASQ asks it.

// screenerQuestion is one yes/no question of the form.
type screenerQuestion struct {
	N       int
	Name    string // the form field: q1 … q4, acuity
	Text    string
	Value   string // "yes", "no" or "" as last sent
	Invalid bool
}

// safetyCheckPage is /safety-check/{fid}: the ASQ.
type safetyCheckPage struct {
	Layout
	FlagID      string
	Questions   []screenerQuestion
	Acuity      *screenerQuestion // only after a yes to one of Questions
	Problem     string
	Field       string // the first question without an answer
	Help        []care.CrisisResource
	Attribution string
}

// safetyCheckDonePage is /safety-check/{fid}/done: the resources again,
// and what happens next, by the screen's result.
type safetyCheckDonePage struct {
	Layout
	Acute    bool
	Positive bool
	Safety   *measureSafety
}

// safetyCheckPath is the form's address for flag fid.
func safetyCheckPath(fid string) string { return "/safety-check/" + fid }

// GET /safety-check/{fid}
func (s *Server) safetyCheckForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	fid := r.PathValue("fid")
	if _, err := s.store.ScreenableFlag(r.Context(), actor, actor.UserID, fid); err != nil {
		if care.ErrorCode(err) == care.Conflict {
			// Answered already: the page after the answer, again.
			if _, err2 := s.store.ScreenerFor(r.Context(), actor, actor.UserID, fid); err2 == nil {
				return redirect(w, r, safetyCheckPath(fid)+"/done")
			}
		}
		return err
	}
	return s.renderSafetyCheck(w, r, actor, http.StatusOK, fid, nil, "", "")
}

func (s *Server) renderSafetyCheck(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, fid string, form func(string) string, problem, field string) error {
	help, err := s.clinicCrisisResources(r, actor)
	if err != nil {
		return err
	}
	p := &safetyCheckPage{Layout: s.careLayout(r, "A few questions"), FlagID: fid, Problem: problem, Field: field,
		Help: help, Attribution: care.ASQAttribution}
	get := func(string) string { return "" }
	if form != nil {
		get = form
	}
	anyYes := false
	for i, item := range care.ASQItems {
		q := screenerQuestion{N: i + 1, Name: "q" + strconv.Itoa(i+1), Text: item.Text, Value: get("q" + strconv.Itoa(i+1))}
		q.Invalid = form != nil && q.Value != "yes" && q.Value != "no"
		anyYes = anyYes || q.Value == "yes"
		p.Questions = append(p.Questions, q)
	}
	if anyYes && !slices.ContainsFunc(p.Questions, func(q screenerQuestion) bool { return q.Invalid }) {
		v := get("acuity")
		p.Acuity = &screenerQuestion{N: len(care.ASQItems) + 1, Name: "acuity", Text: care.ASQAcuity.Text, Value: v,
			Invalid: problem != "" && v != "yes" && v != "no"}
	}
	s.renderPage(w, r, status, "safety_check", p)
	return nil
}

// POST /safety-check/{fid} (q1 … q4 and, after a yes, acuity: "yes" or
// "no"): the client's answers; then the page after them (post/redirect/
// get).
func (s *Server) safetyCheckSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	fid := r.PathValue("fid")
	if _, err := s.store.ScreenableFlag(r.Context(), actor, actor.UserID, fid); err != nil {
		return err
	}
	answers, acuity, err := care.ParseFormASQ(r.PostForm.Get)
	if err == nil && acuity == nil && slices.Contains(answers, true) {
		// A yes: the acuity question is the next step, not an error.
		return s.renderSafetyCheck(w, r, actor, http.StatusOK, fid, r.PostForm.Get, "", "")
	}
	if err == nil {
		if _, err = s.store.AnswerScreener(r.Context(), actor, actor.UserID, fid, answers, acuity); err == nil {
			return redirect(w, r, safetyCheckPath(fid)+"/done")
		}
	}
	msg, field, status, ok := formError(err)
	if !ok {
		return err
	}
	switch {
	case field == "acuity":
		msg = "Please answer the last question with yes or no."
	case field != "" && field != "answers":
		msg = "Please answer every question with yes or no."
	}
	return s.renderSafetyCheck(w, r, actor, status, fid, r.PostForm.Get, msg, field)
}

// GET /safety-check/{fid}/done
func (s *Server) safetyCheckDone(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	resp, err := s.store.ScreenerFor(r.Context(), actor, actor.UserID, r.PathValue("fid"))
	if err != nil {
		return err
	}
	safety, err := s.safetyView(r, actor)
	if err != nil {
		return err
	}
	p := &safetyCheckDonePage{Layout: s.careLayout(r, "Thank you"), Acute: resp.Result == care.ScreenAcutePositive,
		Positive: resp.Result.Positive(), Safety: safety}
	s.renderPage(w, r, http.StatusOK, "safety_check_done", p)
	return nil
}
