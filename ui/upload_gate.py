"""Uploads accept only files that Gradio's own upload route wrote, never a path the client names.

A Gradio event carries files as `FileData` objects whose `path` the client chooses. Gradio refuses a path
outside its upload folder only for an app started with `launch()`; a mounted app (ours, `gr.mount_gradio_app`)
skips that check and copies any server file into its cache. `CorpusFile` is the upload component with the
check put back, stricter and in Vietnamese: the file must be one that `/gradio_api/upload` wrote (Gradio
records those in `Blocks.upload_file_set`), a regular file inside the upload folder (`GRADIO_TEMP_DIR`),
reached by no symbolic link. The refusal names no path."""

from __future__ import annotations

import os

import gradio as gr
from gradio.context import LocalContext
from gradio.data_classes import FileData
from gradio.utils import NamedString, get_upload_folder

NOT_UPLOADED = "chỉ nhận tệp vừa tải lên qua trang này; tệp không được lưu."
REFUSED_TITLE = "Không nhận tệp"


def gradio_wrote(path: object, blocks: object | None) -> bool:
    """True when `path` is a file `blocks`' upload route wrote, still a regular file in the upload folder."""
    if not isinstance(path, str) or blocks is None or path not in getattr(blocks, "upload_file_set", ()):
        return False
    try:
        folder = os.path.realpath(get_upload_folder())
        real = os.path.realpath(path)
        if real != os.path.abspath(path) or os.path.commonpath([folder, real]) != folder:
            return False  # a symbolic link somewhere on the way, or outside the folder
        return os.path.isfile(real) and not os.path.islink(path)
    except (OSError, ValueError):  # ValueError: NUL in the path, or paths on different drives
        return False


class CorpusFile(gr.File):
    """gr.File taking only what was uploaded through Gradio's upload route (see the module's note)."""

    def get_block_name(self) -> str:
        return "file"  # the page draws it with gr.File's own frontend (a subclass would name a Svelte file that does not exist)

    def _refuse_unless_uploaded(self, path) -> None:
        if not gradio_wrote(str(path) if path is not None else None, LocalContext.blocks.get(None)):
            raise gr.Error(NOT_UPLOADED.capitalize(), title=REFUSED_TITLE, print_exception=False)

    def move_resource_to_block_cache(self, url_or_file_path):
        if url_or_file_path is not None:
            self._refuse_unless_uploaded(url_or_file_path)
        return super().move_resource_to_block_cache(url_or_file_path)

    async def async_move_resource_to_block_cache(self, url_or_file_path):
        if url_or_file_path is not None:
            self._refuse_unless_uploaded(url_or_file_path)
        return await super().async_move_resource_to_block_cache(url_or_file_path)

    def _process_single_file(self, f: FileData) -> NamedString | bytes:
        # The suffix is checked by ui.uploads, whose message is Vietnamese and names the file (gr.File's is English).
        return NamedString(f.path)
