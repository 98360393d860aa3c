package care

// The seeded tracker library (issue #19): seven templates, each following
// the structure of a published self-monitoring form, in words written for
// this product. docs/trackers.md names the source of each, its terms, and
// what was and was not checked against it. None of them is a validated
// instrument, and none is scored.

// Template keys of the seeded library, stable across versions: a clinic's
// copy of a seeded template keeps its key.
const (
	TrackerKeyDiaryCard     = "dbt_diary_card"
	TrackerKeyPanicLog      = "panic_log"
	TrackerKeySleepDiary    = "sleep_diary"
	TrackerKeyThoughtRecord = "thought_record"
	TrackerKeyActivityLog   = "activity_log"
	TrackerKeyCravingLog    = "craving_log"
	TrackerKeyMedication    = "medication_check"
)

// TrackerLibrary returns the seeded templates, new values on each call (a
// caller may validate or edit them freely), in the order a library page
// lists them. They have a Key and Version 1 but no ID, clinic or author:
// the store gives them those when it seeds a clinic's library.
func TrackerLibrary() []TrackerTemplate {
	return []TrackerTemplate{
		diaryCard(), panicLog(), sleepDiary(), thoughtRecord(), activityLog(), cravingLog(), medicationCheck(),
	}
}

// TrackerLibraryTemplate returns the seeded template with key, or nil.
func TrackerLibraryTemplate(key string) *TrackerTemplate {
	for _, t := range TrackerLibrary() {
		if t.Key == key {
			return &t
		}
	}
	return nil
}

// Anchors used by several templates.
const (
	anchorNone      = "None at all"
	anchorStrongest = "As strong as it gets"
)

// diaryCard follows the structure of the DBT diary card (Linehan, DBT
// Skills Training Manual, 2nd ed., 2015): urges and whether they were
// acted on, emotions, skills used; rated 0–5 as DBT cards commonly are.
func diaryCard() TrackerTemplate {
	urge := func(id, label string, main bool) TrackerField {
		return TrackerField{ID: id, Kind: FieldRating, Label: label, Min: 0, Max: 5,
			MinLabel: "No urge", MaxLabel: "Strongest urge ever", Main: main}
	}
	emotion := func(id, label string) TrackerField {
		return TrackerField{ID: id, Kind: FieldRating, Label: label, Min: 0, Max: 5,
			MinLabel: "Not at all", MaxLabel: "Overwhelming"}
	}
	return TrackerTemplate{
		Key: TrackerKeyDiaryCard, Version: 1,
		Name: "Diary card (DBT-style)",
		Explainer: "A quick look back at your day: the urges you had, the feelings that came up and the skills you tried. " +
			"Over a few weeks it shows us patterns neither of us can see from one day, and where the skills are working. " +
			"There are no right answers, and a hard day is exactly what we want to hear about.",
		Schedule: TrackerSchedule{Kind: ScheduleDaily, Minute: 20 * 60},
		Fields: []TrackerField{
			{ID: "intro", Kind: FieldInfo, Label: "About today",
				Help: "Think of the whole day. For each line, rate the strongest it got, even if only for a moment."},
			urge("urge_self_harm", "Urge to hurt myself", true),
			urge("urge_use", "Urge to drink or use drugs", false),
			urge("urge_other", "Urge to do the other behaviour we agreed to track", false),
			{ID: "acted_on_urge", Kind: FieldYesNo, Label: "Did I act on any of these urges today?"},
			{ID: "acted_what", Kind: FieldText, Label: "If yes: what did I do?", MaxLen: 300},
			emotion("emotion_sadness", "Sadness"),
			emotion("emotion_anger", "Anger"),
			emotion("emotion_fear", "Fear or worry"),
			emotion("emotion_shame", "Shame or guilt"),
			emotion("emotion_joy", "Joy"),
			{ID: "skills_used", Kind: FieldMultiChoice, Label: "Skills I used today",
				Help:    "Tick every kind you tried, whether or not it worked.",
				Options: []string{"Mindfulness", "Distress tolerance", "Emotion regulation", "Interpersonal effectiveness", "None today"}},
			{ID: "note", Kind: FieldLongText, Label: "Anything else about today", MaxLen: 2000},
		},
	}
}

// panicLog follows the panic log of cognitive therapy for panic (Clark &
// Beck, 2010): an entry soon after each episode, its peak, duration,
// circumstances, sensations, feared outcome and coping.
func panicLog() TrackerTemplate {
	return TrackerTemplate{
		Key: TrackerKeyPanicLog, Version: 1,
		Name: "Panic or anxiety episode log",
		Explainer: "Fill this in as soon as you can after a wave of panic or strong anxiety, big or small. " +
			"Writing it down soon, while it is fresh, shows us what sets these episodes off, what your body does, " +
			"what you fear will happen, and what really happens. That is what we will work with together.",
		Schedule: TrackerSchedule{Kind: ScheduleEvent},
		Fields: []TrackerField{
			{ID: "started_at", Kind: FieldTime, Label: "When did it start?"},
			{ID: "peak", Kind: FieldRating, Label: "How strong was it at its worst?", Required: true, Main: true,
				Min: 0, Max: 10, MinLabel: "No anxiety", MaxLabel: "Worst I can imagine"},
			{ID: "peak_minutes", Kind: FieldDuration, Label: "How long did the worst part last?"},
			{ID: "expected", Kind: FieldChoice, Label: "Did it come out of the blue?",
				Options: []string{"Out of the blue", "In a situation I fear", "While thinking about something I fear", "Not sure"}},
			{ID: "situation", Kind: FieldText, Label: "Where was I, and what was I doing?", MaxLen: 300},
			{ID: "sensations", Kind: FieldMultiChoice, Label: "What did I feel in my body?",
				Options: []string{"Racing or pounding heart", "Short of breath", "Chest tight or painful", "Dizzy or light-headed",
					"Shaking", "Sweating", "Sick to my stomach", "Numb or tingling", "Hot or cold", "Things felt unreal", "Something else"}},
			{ID: "feared", Kind: FieldText, Label: "What did I fear was happening, or would happen?", MaxLen: 300},
			{ID: "coping", Kind: FieldLongText, Label: "What did I do? Did I stay, or leave?", MaxLen: 1000},
			{ID: "outcome", Kind: FieldText, Label: "What actually happened in the end?", MaxLen: 300},
		},
	}
}

// sleepDiary follows the core items of the Consensus Sleep Diary
// (Carney et al., SLEEP 2012;35(2):287–302), in their order, filled in
// each morning about the night just ended.
func sleepDiary() TrackerTemplate {
	return TrackerTemplate{
		Key: TrackerKeySleepDiary, Version: 1,
		Name: "Sleep diary",
		Explainer: "Each morning, within an hour of getting up, note how last night went. " +
			"Your best guess is fine: please don't watch the clock at night. " +
			"A week or two of mornings shows how long you spend in bed, how long you actually sleep, and how that changes " +
			"as we try things together.",
		Schedule: TrackerSchedule{Kind: ScheduleDaily, Minute: 9 * 60},
		Fields: []TrackerField{
			{ID: "into_bed", Kind: FieldTime, Label: "I got into bed at", Required: true},
			{ID: "tried_to_sleep", Kind: FieldTime, Label: "I started trying to sleep at",
				Help: "This can be later than getting into bed, if you read or watched something first."},
			{ID: "minutes_to_fall_asleep", Kind: FieldDuration, Label: "Falling asleep took me about"},
			{ID: "awakenings", Kind: FieldCount, Label: "Times I woke up in the night", Max: 50,
				Help: "Don't count the last time you woke up in the morning."},
			{ID: "minutes_awake", Kind: FieldDuration, Label: "Those times awake added up to about"},
			{ID: "final_wake", Kind: FieldTime, Label: "I woke up for the last time at"},
			{ID: "out_of_bed", Kind: FieldTime, Label: "I got up to start the day at", Required: true},
			{ID: "quality", Kind: FieldRating, Label: "How well did I sleep?", Main: true,
				Min: 1, Max: 5, MinLabel: "Very badly", MaxLabel: "Very well"},
			{ID: "note", Kind: FieldText, Label: "Anything unusual last night?", MaxLen: 300,
				Help: "Illness, noise, a late coffee or drink, a nap, a worry: anything that might explain the night."},
		},
	}
}

// thoughtRecord follows the cognitive therapy thought record (Beck et
// al., 1979; Greenberger & Padesky, Mind Over Mood): situation, feeling
// and its strength, automatic thought, evidence both ways, a balanced
// thought, the feeling re-rated.
func thoughtRecord() TrackerTemplate {
	strength := func(id, label string, main bool) TrackerField {
		return TrackerField{ID: id, Kind: FieldRating, Label: label, Min: 0, Max: 10,
			MinLabel: anchorNone, MaxLabel: anchorStrongest, Main: main}
	}
	before := strength("feeling_before", "How strong was the feeling?", true)
	before.Required = true
	return TrackerTemplate{
		Key: TrackerKeyThoughtRecord, Version: 1,
		Name: "Thought record",
		Explainer: "When your mood drops or spikes, use this to slow the moment down: what happened, what went through your mind, " +
			"and whether that thought holds up when you look at all the facts. It takes practice, and even filling in " +
			"the first few lines is useful. We will go through them together.",
		Schedule: TrackerSchedule{Kind: ScheduleEvent},
		Fields: []TrackerField{
			{ID: "situation", Kind: FieldText, Label: "What was happening?", Required: true, MaxLen: 500,
				Help: "Where were you, who with, and when? Just the facts, as a camera would see it."},
			{ID: "feeling", Kind: FieldText, Label: "What did I feel?", MaxLen: 200,
				Help: "A word or two per feeling: sad, anxious, angry, ashamed…"},
			before,
			{ID: "thought", Kind: FieldLongText, Label: "What went through my mind?", MaxLen: 2000,
				Help: "The thoughts or pictures that came just before or with the feeling. Which one hit hardest?"},
			{ID: "evidence_for", Kind: FieldLongText, Label: "What facts support that thought?", MaxLen: 2000},
			{ID: "evidence_against", Kind: FieldLongText, Label: "What facts don't fit with it?", MaxLen: 2000,
				Help: "What would a friend say? Has it turned out differently before?"},
			{ID: "balanced_thought", Kind: FieldLongText, Label: "A more balanced way to see it", MaxLen: 2000},
			strength("feeling_after", "How strong is the feeling now?", false),
		},
	}
}

// activityLog follows activity monitoring with pleasure and mastery
// ratings (Beck et al., 1979; behavioural activation: Lewinsohn; Martell,
// Addis & Jacobson, 2001; Lejuez et al.).
func activityLog() TrackerTemplate {
	return TrackerTemplate{
		Key: TrackerKeyActivityLog, Version: 1,
		Name: "Activity log",
		Explainer: "Low mood tends to shrink what we do, and doing less tends to lower mood. " +
			"Noting what you did, how much you enjoyed it and how much it felt like getting something done helps us find " +
			"the activities that lift you, so we can plan more of them. Small things count.",
		Schedule: TrackerSchedule{Kind: ScheduleEvent},
		Fields: []TrackerField{
			{ID: "activity", Kind: FieldText, Label: "What did I do?", Required: true, MaxLen: 200},
			{ID: "at", Kind: FieldTime, Label: "When?"},
			{ID: "pleasure", Kind: FieldRating, Label: "How much did I enjoy it?", Main: true,
				Min: 0, Max: 10, MinLabel: "Not at all", MaxLabel: "Very much"},
			{ID: "mastery", Kind: FieldRating, Label: "How much did it feel like getting something done?",
				Min: 0, Max: 10, MinLabel: "Not at all", MaxLabel: "A real achievement",
				Help: "Rate it for how you were today: getting up and showered on a hard day can be a real achievement."},
			{ID: "mood_after", Kind: FieldRating, Label: "My mood afterwards",
				Min: 0, Max: 10, MinLabel: "Very low", MaxLabel: "Very good"},
			{ID: "note", Kind: FieldText, Label: "Anything to remember about it?", MaxLen: 300},
		},
	}
}

// cravingLog follows the daily record of craving of NIDA's CBT manual
// (Carroll, 1998, Exhibit 3): when, situation with thoughts and feelings,
// strength, length, how one coped; and whether one used.
func cravingLog() TrackerTemplate {
	return TrackerTemplate{
		Key: TrackerKeyCravingLog, Version: 1,
		Name: "Craving and use log",
		Explainer: "Cravings are common, and each one rises, peaks and fades. Noting each one, what set it off and what you did, " +
			"shows us your triggers and which ways of coping work for you. If you used, note that too, honestly: " +
			"it helps us plan together, and nobody here will judge you for it.",
		Schedule: TrackerSchedule{Kind: ScheduleEvent},
		Fields: []TrackerField{
			{ID: "at", Kind: FieldTime, Label: "When did the craving start?"},
			{ID: "situation", Kind: FieldText, Label: "Where was I, and what was I thinking and feeling?", MaxLen: 500},
			{ID: "strength", Kind: FieldRating, Label: "How strong was the craving?", Required: true, Main: true,
				Min: 0, Max: 10, MinLabel: "Barely there", MaxLabel: "Strongest ever"},
			{ID: "minutes", Kind: FieldDuration, Label: "How long did it last?"},
			{ID: "coping", Kind: FieldText, Label: "What did I do to get through it?", MaxLen: 500},
			{ID: "used", Kind: FieldYesNo, Label: "Did I use?"},
			{ID: "use_detail", Kind: FieldText, Label: "If yes: what, and how much?", MaxLen: 300},
		},
	}
}

// medicationCheck is a daily self-report of taking medication as
// planned, shaped by the NIH Adherence Network's recommendations
// (Stirratt et al., 2015), which advise reducing social desirability
// bias: the wording makes a missed dose easy to report. The one-day
// recall is our choice.
func medicationCheck() TrackerTemplate {
	return TrackerTemplate{
		Key: TrackerKeyMedication, Version: 1,
		Name: "Medication check",
		Explainer: "A few seconds a day to note whether you took your medication as planned. " +
			"Most people miss doses now and then; telling us honestly helps your care team understand how the medication " +
			"is working and make a plan that fits your life.",
		Schedule: TrackerSchedule{Kind: ScheduleDaily, Minute: 21 * 60},
		Fields: []TrackerField{
			{ID: "took_as_planned", Kind: FieldYesNo, Label: "Today I took my medication as planned", Required: true, Main: true},
			{ID: "doses_missed", Kind: FieldCount, Label: "Doses missed today", Max: 20},
			{ID: "missed_reason", Kind: FieldChoice, Label: "If I missed any: the main reason",
				Options: []string{"I forgot", "Side effects", "I ran out", "I felt better", "I didn't want to", "Something else"}},
			{ID: "side_effects", Kind: FieldText, Label: "Side effects I noticed", MaxLen: 300},
			{ID: "note", Kind: FieldText, Label: "Anything else", MaxLen: 300},
		},
	}
}
