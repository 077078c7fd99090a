from pydantic import Field

from ticketbooth.kit import ApiResponse, Money, UtcTimestamp


class OrderTicket(ApiResponse):
    id: int
    event_title: str
    event_date: UtcTimestamp
    ticket_type: str
    seat_label: str | None
    to_name: str = Field(description="Name printed on the ticket (addition).")


class OrderOut(ApiResponse):
    id: int
    created_at: UtcTimestamp
    customer_name: str
    total_amount: Money
    total_tickets: int = Field(description="Number of tickets in the order (addition).")
    event_date_id: int = Field(description="The show this order is for (addition).")
    tickets: list[OrderTicket]
