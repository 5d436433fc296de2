"""What may be used: business units (the permission scope) and, later, assets and versions."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govern.roles import Role


class BusinessUnit(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # One permission per role: holding it on a unit means holding the role there.
        permissions = [(role.value, f"{role.label} in this unit") for role in Role]

    def __str__(self) -> str:
        return self.name


class BusinessUnitUserObjectPermission(UserObjectPermissionBase):
    """A user's role in one business unit (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "role grant"


class BusinessUnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass
