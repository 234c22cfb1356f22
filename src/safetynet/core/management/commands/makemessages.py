"""``makemessages`` that also extracts ``gettext_lazy`` imported as ``_lazy``.

Forms and selectors that need both the eager and the lazy form import the lazy one as
``_lazy``; xgettext knows only the standard names, so without this keyword those labels
never reach the catalogue and stay Chinese in every locale.
"""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=_lazy"]
