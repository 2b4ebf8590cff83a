from django.urls import path

from . import api

app_name = "webhooks"

urlpatterns = [
    path("subscriptions/", api.SubscriptionListCreateApi.as_view(), name="subscriptions"),
    path("subscriptions/<int:pk>/", api.SubscriptionDetailApi.as_view(), name="subscription"),
    path(
        "subscriptions/<int:pk>/rotate-secret/",
        api.SubscriptionRotateSecretApi.as_view(),
        name="subscription-rotate-secret",
    ),
    path(
        "subscriptions/<int:pk>/test/", api.SubscriptionTestApi.as_view(), name="subscription-test"
    ),
    path("deliveries/", api.DeliveryListApi.as_view(), name="deliveries"),
    path("deliveries/<int:pk>/", api.DeliveryDetailApi.as_view(), name="delivery"),
    path(
        "deliveries/<int:pk>/redeliver/",
        api.DeliveryRedeliverApi.as_view(),
        name="delivery-redeliver",
    ),
]
