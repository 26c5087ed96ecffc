"""A student connects their own accounts and signs in to their pages, in a browser.

- `signin`: one-time sign-in links (`studyplanner api invite`), a host app's JWT, browser
  sessions and their CSRF tokens;
- `states`: the signed, single-use OAuth `state` bound to the student who started the flow;
- `google`, `notion`: the two OAuth flows, the calendar and database choices, disconnect;
- `views`: what the pages show (connections, the week, at-risk work, the task timeline).

Every failure a student can meet is a `ConnectError` with a sentence for the page; nothing here
puts a token in a message, a log line or an error row.
"""
