"""Real-time queue and agent state through the Genesys Cloud Notifications API (WebSocket channels).

planner.py places topics on channels within the limits; connection.py runs one socket per channel in a daemon
thread; state.py holds what the notifications said; hub.py ties them together for the collectors.
The REST side (creating channels, subscribing, renewing) is collectors/notifications.py, so its requests are
paced, budgeted and counted like every other request.
"""

from .hub import NotificationHub, hub_of

__all__ = ['NotificationHub', 'hub_of']
