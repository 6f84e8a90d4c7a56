from django.contrib import admin

from donations.models import Appeal


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["__str__", "button_label", "is_active", "updated_at"]
    list_filter = ["is_active"]
