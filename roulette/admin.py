"""Admin for roulette: wallets (with a reset action), bets and the spin audit trail."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from roulette import conf
from roulette.models import Bet, BetStatus, Spin, Wallet


class OpenBetInline(admin.TabularInline):
    model = Bet
    fields = ("spot", "amount", "round", "status", "net", "placed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Recent bets"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bet]:
        return super().get_queryset(request).order_by("-id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "kind",
        "wheel",
        "bankroll",
        "round",
        "resets",
        "updated_at",
    )
    list_filter = ("wheel", ("visitor_id", admin.EmptyFieldListFilter))
    search_fields = ("public_id",)
    readonly_fields = (
        "public_id",
        "round",
        "version",
        "resets",
        "created_at",
        "updated_at",
    )
    fields = (
        "public_id",
        "wheel",
        "bankroll",
        "chip",
    ) + readonly_fields[1:]
    actions = ("reset_bankroll",)
    inlines = (OpenBetInline,)
    date_hierarchy = "created_at"

    @admin.display(description="Owner")
    def kind(self, obj: Wallet) -> str:
        return "web" if obj.visitor_id else "API"

    @admin.action(description="Give back the starting bankroll (clears open bets)")
    def reset_bankroll(self, request: HttpRequest, queryset: QuerySet[Wallet]) -> None:
        start = conf.starting_bankroll()
        count = 0
        for wallet in queryset:
            # Through the service path's lock, so a concurrent spin cannot interleave.
            from django.db import transaction

            with transaction.atomic():
                locked = Wallet.objects.select_for_update().get(pk=wallet.pk)
                locked.bets.filter(status=BetStatus.OPEN).delete()
                locked.bankroll = start
                locked.resets += 1
                locked.version += 1
                locked.save()
            count += 1
        messages.success(request, f"Reset {count} wallet(s) to {start} chips.")


@admin.register(Bet)
class BetAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "wallet",
        "round",
        "spot",
        "amount",
        "status",
        "net",
        "placed_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("spot", "wallet__public_id")
    list_select_related = ("wallet",)
    readonly_fields = [f.name for f in Bet._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Spin)
class SpinAdmin(admin.ModelAdmin):
    """Spins are an audit trail: viewable and deletable, never edited."""

    list_display = (
        "id",
        "pocket",
        "colour",
        "wheel",
        "wallet",
        "staked",
        "returned",
        "created_at",
    )
    list_filter = ("wheel", "created_at")
    search_fields = ("pocket", "wallet__public_id")
    list_select_related = ("wallet",)
    readonly_fields = [f.name for f in Spin._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
