"""Gradio's own interface strings in Vietnamese, through Gradio's i18n (`launch(i18n=...)`), not by patching the page.

The few labels Gradio hard-codes without an i18n key (aria-labels such as "More tabs") are renamed in the page by
ui/page.py.

Gradio ships no Vietnamese and picks the browser's language among the ones it ships, falling back to
English; a Vietnamese or an English browser both get "en". The same Vietnamese table is registered
for every language Gradio ships, so the page is Vietnamese whatever the browser's language. Keys are
flat (`upload_text.drop_file`): Gradio's frontend (svelte-i18n) finds a flat key before its own nested one.
"""

from __future__ import annotations

import gradio as gr

VIETNAMESE = {
    "common.built_with": "làm bằng",
    "common.built_with_gradio": "Làm bằng Gradio",
    "common.clear": "Xóa",
    "common.complete": "Xong",
    "common.download": "Tải về",
    "common.download_all": "Tải về tất cả",
    "common.edit": "Sửa",
    "common.empty": "Trống",
    "common.error": "Lỗi",
    "common.hosted_on": "Chạy trên",
    "common.loading": "Đang tải",
    "common.logo": "biểu trưng",
    "common.or": "hoặc",
    "common.remove": "Bỏ",
    "common.runs": "Các lần chạy",
    "common.runs_description": "Xem các lần chạy lưu trong trình duyệt này",
    "common.back_to_app": "Ứng dụng",
    "common.back_to_app_description": "Quay lại ứng dụng",
    "common.settings": "Cài đặt",
    "common.share": "Chia sẻ",
    "common.submit": "Gửi",
    "common.undo": "Hoàn tác",
    "common.no_devices": "Không thấy thiết bị",
    "common.language": "Ngôn ngữ",
    "common.display_theme": "Giao diện sáng/tối",
    "common.pwa": "Ứng dụng web (PWA)",
    "common.progress": "Tiến độ",
    "common.record": "Ghi",
    "common.stop_recording": "Dừng ghi",
    "common.screen_studio": "Quay màn hình",
    "common.share_gradio_tab": "[Chia sẻ] Thẻ Gradio",
    "common.run": "Chạy",
    "common.upload": "Tải lên",
    "common.partition": "Phân vùng",
    "chatbot.edit": "Sửa",
    "chatbot.retry": "Hỏi lại",
    "chatbot.undo": "Hoàn tác",
    "chatbot.submit": "Gửi",
    "chatbot.cancel": "Hủy",
    "chatbot.like": "Câu trả lời tốt",
    "chatbot.dislike": "Câu trả lời chưa tốt",
    "chatbot.clear": "Xóa hội thoại",
    "chatbot.complete": "Xong",
    "chatbot.copy_message": "Chép câu trả lời",
    "chatbot.copied_message": "Đã chép",
    "chat_interface.new_chat": "Cuộc trò chuyện mới",
    "chat_interface.message_placeholder": "Nhập tin nhắn…",
    "chat_interface.additional_inputs": "Tùy chọn thêm",
    "chat_interface.chatbot": "Hội thoại",
    "chat_interface.conversation": "Hội thoại",
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.drop_file": "Thả tệp vào đây",
    "upload_text.drop_audio": "Thả tệp âm thanh vào đây",
    "upload_text.drop_csv": "Thả tệp CSV vào đây",
    "upload_text.drop_image": "Thả ảnh vào đây",
    "upload_text.drop_video": "Thả video vào đây",
    "upload_text.drop_gallery": "Thả tệp vào đây",
    "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "file.uploading": "Đang tải lên…",
    "errors.use_via_api": "Dùng qua API",
    "errors.use_via_api_or_mcp": "Dùng qua API hoặc MCP",
    "errors.build_error": "có lỗi khi dựng ứng dụng",
    "errors.config_error": "có lỗi cấu hình",
    "errors.contact_page_author": "Hãy báo cho người quản trị trang.",
    "errors.no_app_file": "không có tệp ứng dụng",
    "errors.runtime_error": "có lỗi khi chạy",
    "errors.space_not_working": "Ứng dụng không chạy vì {0}",
    "errors.space_paused": "ứng dụng đang tạm dừng",
    "blocks.connection_can_break": "Trên điện thoại, kết nối có thể mất khi thẻ này bị ẩn hoặc máy ngủ, và bạn mất chỗ trong hàng đợi.",
    "blocks.long_requests_queue": "Đang có nhiều yêu cầu chờ xử lý.",
    "blocks.lost_connection": "Mất kết nối do rời trang. Đang vào lại hàng đợi…",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp lên xong, hãy thử lại.",
    "status.queue_position": "Trong hàng đợi: {position} / {size}",
    "login.enable_cookies": "Hãy bật cookie của bên thứ ba nếu bạn đang dùng chế độ ẩn danh.",
    "login.incorrect_credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "login.username": "tên đăng nhập",
    "login.password": "mật khẩu",
    "login.login": "Đăng nhập",
    "image.image": "Ảnh",
    "image.remove_image": "Bỏ ảnh",
    "image.drop_to_upload": "Thả ảnh vào đây để tải lên",
    "radio.radio": "Lựa chọn",
    "slider.slider": "Thanh trượt",
    "dropdown.dropdown": "Danh sách chọn",
    "label.label": "Nhãn",
}

# The languages Gradio 6 ships (its frontend's lang/*.json), each of which a browser may select.
GRADIO_LOCALES = (
    "ar", "ca", "ckb", "de", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id", "ja", "ko", "lt", "nb", "nl",
    "pl", "pt-BR", "pt", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-CN", "zh-TW", "vi",
)


def vietnamese_i18n() -> gr.I18n:
    return gr.I18n(**{locale: VIETNAMESE for locale in GRADIO_LOCALES})
