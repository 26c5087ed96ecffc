"""The week view: a student's week as HTML (values in, HTML out), shared by `studyplanner week`,
the demo's report and the student's week page. It lives under api/ so both front doors may use it
(the CLI sits above the API in the layers)."""
