"""The service hall (服务大厅): the embedded 事项库 and 工单 systems and the staff console."""
