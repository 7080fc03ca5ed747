"""Views of the core: sign-in, dashboard, notifications, static pages, errors, health, API docs."""
