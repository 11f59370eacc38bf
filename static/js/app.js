// APA Portal: progressive enhancements. No inline script anywhere (Content-Security-Policy).
"use strict";
