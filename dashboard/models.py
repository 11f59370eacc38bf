# No models: the dashboard reads the other apps. This module exists so that Django sends this
# app its post_migrate signal (apps without a models module get none), which makes the group
# « Administrateurs de structure » (dashboard.permissions).
