from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="SigningKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kid", models.CharField(max_length=64, unique=True)),
                ("public_x", models.CharField(help_text="the public key, unpadded base64url (JWK x)", max_length=64)),
                (
                    "sealed",
                    models.BinaryField(help_text="nonce || AES-256-GCM(PKCS#8 private key), bound to the kid"),
                ),
                ("created_at", models.DateTimeField()),
                ("signs_from", models.DateTimeField()),
            ],
            options={"ordering": ("signs_from", "kid")},
        ),
    ]
