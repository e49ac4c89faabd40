<?php
http_response_code(403);
exit;
