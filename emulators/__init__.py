"""Local emulators of the Google Calendar v3 and Notion APIs: a separate program (real HTTP on
127.0.0.1) for the tests and the demo. Each has the same layout: state (what it stores), routes
(the API), admin (acting as the user, injecting faults), server (start, stop, serve)."""
