"""Give every existing inquiry its buyer, by the same keys the importer uses (inquiries/buyer_keys.py)."""

from django.db import migrations

from inquiries import buyer_keys

BATCH = 2000


def match_existing(apps, schema_editor):
    Inquiry = apps.get_model("inquiries", "Inquiry")
    Buyer = apps.get_model("inquiries", "Buyer")
    BuyerKey = apps.get_model("inquiries", "BuyerKey")
    known = {(k.kind, k.value): k.buyer_id for k in BuyerKey.objects.all()}
    last = 0
    while True:
        # Oldest first: a buyer's record takes the contact details of their first inquiry.
        rows = list(
            Inquiry.objects.filter(pk__gt=last, buyer__isnull=True)
            .order_by("pk")
            .values("pk", "buyer_email", "buyer_phone", "buyer_company", "buyer_name", "country")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1]["pk"]
        pending, links = {}, []  # placeholder -> Buyer; (inquiry pk, placeholder or buyer id)
        new_keys = []
        for row in rows:
            keys = buyer_keys.buyer_keys(
                email=row["buyer_email"], phone=row["buyer_phone"], company=row["buyer_company"], country=row["country"]
            )
            if not keys:
                continue
            buyer = next((known[(k, keys[k])] for k in buyer_keys.KINDS if (k, keys.get(k)) in known), None)
            if buyer is None:
                buyer = ("new", len(pending))
                pending[buyer] = Buyer(
                    name=row["buyer_name"][:200],
                    company=row["buyer_company"][:200],
                    email=row["buyer_email"],
                    phone=row["buyer_phone"][:50],
                    country=row["country"],
                )
            for kind, value in keys.items():
                if (kind, value) not in known:
                    known[(kind, value)] = buyer
                    new_keys.append((buyer, kind, value))
            links.append((row["pk"], buyer))
        Buyer.objects.bulk_create(list(pending.values()), batch_size=1000)

        def pk_of(buyer):
            return pending[buyer].pk if isinstance(buyer, tuple) else buyer

        for key, value in list(known.items()):
            if isinstance(value, tuple):
                known[key] = pending[value].pk
        BuyerKey.objects.bulk_create(
            [BuyerKey(buyer_id=pk_of(b), kind=k, value=v) for b, k, v in new_keys], batch_size=1000
        )
        by_buyer = {}
        for inquiry_pk, buyer in links:
            by_buyer.setdefault(pk_of(buyer), []).append(inquiry_pk)
        objs = [Inquiry(pk=pk, buyer_id=buyer_id) for buyer_id, pks in by_buyer.items() for pk in pks]
        Inquiry.objects.bulk_update(objs, ["buyer"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0015_pool_and_buyers")]

    operations = [migrations.RunPython(match_existing, migrations.RunPython.noop, elidable=True)]
