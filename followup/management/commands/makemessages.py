"""Django's makemessages with Followup's defaults (`make makemessages`): every language of
settings.LANGUAGES but English, the language of the source strings; only the code and templates
that reach people (not tests, benchmarks or scripts); file names without line numbers, so a catalogue
changes when its strings do, not when code moves; no obsolete entries kept."""

from django.core.management.commands import makemessages

from ... import languages

NOT_SOURCES = ["tests", "bench", "scripts", "docs", "deploy", "static", "staticfiles", "var", "node_modules", "locale"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        if not (options["locale"] or options["exclude"] or options["all"]):
            options["locale"] = [code for code in languages.codes() if code != languages.SOURCE_LANGUAGE]
        options["ignore_patterns"] = [*options["ignore_patterns"], *NOT_SOURCES]
        options["add_location"] = options["add_location"] or "file"
        options["no_obsolete"] = True
        return super().handle(*args, **options)
