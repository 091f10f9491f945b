"""Photos of the work on a task, posted through the API as the task page takes them: the
page's checks, each refusal naming the file with nothing written, and what is kept is the
pixels alone (no location from the phone reaches the owner)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from tasks.models import Task, TaskPhoto, TaskUpdate
from tests.api.test_every_endpoint import shelf_photo

pytestmark = pytest.mark.django_db


def url_of(shop, task):
    return f"/api/v1/organizations/{shop['retailer'].pk}/tasks/{task.pk}/photos"


def photo_with_gps(name):
    """A JPEG carrying where it was taken, as a phone writes it."""
    image = Image.new("RGB", (80, 60), (20, 90, 160))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (41.0, 35.0, 12.0), 3: "W", 4: (93.0, 37.0, 5.0)}
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    with Image.open(io.BytesIO(out.getvalue())) as sent:  # the file does carry them
        assert ExifTags.IFD.GPSInfo in sent.getexif() and ExifTags.Base.Make in sent.getexif()
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_merchandiser_posts_photos_and_the_owner_gets_the_pixels_alone(api, shop):
    task = Task.objects.get(organization=shop["retailer"])
    answer = api["merchandiser"].post_form(
        url_of(shop, task),
        {"version": task.version, "note": "Whiskey bay faced",
         "photos": [photo_with_gps("bay-1.jpg"), shelf_photo("bay-2.jpg")]},
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    update = TaskUpdate.objects.get(pk=answer.json()["id"])
    assert answer.json()["photos"] == 2
    assert update.note == "Whiskey bay faced" and update.actor == shop["rep"]
    kept = list(TaskPhoto.objects.filter(update=update).order_by("pk"))
    assert [(p.width, p.height, p.content_type) for p in kept] == [
        (80, 60, "image/jpeg"),
        (64, 48, "image/jpeg"),
    ]
    for photo in kept:
        with photo.file.open("rb") as stored, Image.open(stored) as image:
            exif = image.getexif()
            assert ExifTags.IFD.GPSInfo not in exif and ExifTags.Base.Make not in exif
    task.refresh_from_db()
    assert answer.json()["task"]["version"] == task.version
    # The task keeps its status and progress: a photo is proof, not a change of state.
    assert (task.status, task.percent_done) == ("open", 0)


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        (lambda: [shelf_photo(f"p{n}.jpg") for n in range(6)], "At most 5 photos per update."),
        (
            lambda: [shelf_photo("good.jpg"),
                     SimpleUploadedFile("notes.jpg", b"not a picture", content_type="image/jpeg")],
            "notes.jpg",
        ),
    ],
    ids=["too many", "not an image"],
)  # fmt: skip
def test_a_refused_photo_is_a_422_naming_it_and_nothing_is_written(api, shop, photos, message):
    task = Task.objects.get(organization=shop["retailer"])
    answer = api["merchandiser"].post_form(
        url_of(shop, task), {"version": task.version, "photos": photos()}
    )
    assert answer.status_code == 422, answer.content
    error = answer.json()["error"]
    assert error["code"] == "photo_refused" and message in error["message"]
    assert error["errors"] == [{"field": "photos", "message": error["message"]}]
    assert not TaskUpdate.objects.filter(task=task).exists()
    assert not TaskPhoto.objects.exists()


def test_photos_over_a_newer_version_are_a_409_and_none_is_kept(api, shop):
    task = Task.objects.get(organization=shop["retailer"])
    url = url_of(shop, task)
    first = api["merchandiser"].post_form(url, {"version": task.version, "photos": [shelf_photo()]})
    assert first.status_code == 201
    again = api["merchandiser"].post_form(url, {"version": task.version, "photos": [shelf_photo()]})
    assert again.status_code == 409, again.content
    assert again.json()["error"]["code"] == "stale_version"
    assert TaskPhoto.objects.count() == 1


def test_no_photo_or_no_version_is_a_422_in_the_api_shape(api, shop):
    task = Task.objects.get(organization=shop["retailer"])
    url = url_of(shop, task)
    for data in ({"version": task.version}, {"photos": [shelf_photo()]}):
        answer = api["merchandiser"].post_form(url, data)
        assert answer.status_code == 422, answer.content
        assert answer.json()["error"]["code"] == "invalid"
    assert not TaskUpdate.objects.filter(task=task).exists()


def test_a_vendor_token_cannot_post_photos_on_tasks_it_does_not_see(api, shop):
    task = Task.objects.get(organization=shop["retailer"])
    answer = api["vendor"].post_form(
        url_of(shop, task), {"version": task.version, "photos": [shelf_photo()]}
    )
    assert answer.status_code == 404
    assert not TaskPhoto.objects.exists()
