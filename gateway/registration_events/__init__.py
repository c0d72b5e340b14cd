"""Registration events pushed to subscribed departments (the tax bureau by default)."""
