"""How an ML backend fetches its tasks' data with a personal access token, through ls_auth.

A backend built on label-studio-ml-backend gets LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY from its
environment and fetches each task's image, audio or text with the SDK's ``get_local_path``. With
a PAT in LABEL_STUDIO_API_KEY the SDK sends the PAT itself as a Bearer token and every download
answers 401; one call at start-up, ``install_download_auth()``, makes those same SDK calls
exchange the PAT and send access tokens, to Label Studio's origin only.

    LABEL_STUDIO_URL=http://127.0.0.1:8080 LABEL_STUDIO_API_KEY=<PAT> \\
        python ml_backend_data.py PROJECT_ID

prints, for each task of the project, the data field, the local file and its size.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from label_studio_sdk._extensions.label_studio_tools.core.utils.io import get_local_path

from ls_auth.contrib.sdk import Client, install_download_auth


def main(project_id: int) -> int:
    # Once, when the backend starts: the SDK's download helpers now take any kind of key.
    install_download_auth()
    # What a backend's training code does: the legacy Client, here with the PAT too.
    project = Client().get_project(project_id)
    for task in project.get_tasks():
        for field, value in task["data"].items():
            if not isinstance(value, str) or not value.startswith(("/data/", "http", "s3:", "gs:")):
                continue
            # Exactly the call label-studio-ml-backend's LabelStudioMLBase.get_local_path makes.
            path = get_local_path(
                value,
                hostname=os.environ["LABEL_STUDIO_URL"],
                access_token=os.environ["LABEL_STUDIO_API_KEY"],
                task_id=task["id"],
            )
            print(f"task {task['id']} {field}: {path} ({Path(path).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(int(sys.argv[1])))
